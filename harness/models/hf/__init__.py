"""Hugging Face transformers adapters: decoder-only (``hf-causal``), encoder-decoder
(``hf-seq2seq``) and image-to-text (``hf-vision2seq``) models, and what they share
(loading, weights hashing, decoding, out-of-memory handling). Everything that imports
torch or transformers lives under this package."""
