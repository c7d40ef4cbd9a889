"""The pieces of make-corpus: see tests/corpus/README.md."""
