"""Texts written for the offline demo tasks; scripts/make_demo_data.py turns them into tasks/demo/."""
