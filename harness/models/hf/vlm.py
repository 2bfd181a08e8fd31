"""Image + prompt models through AutoProcessor (in progress)."""
