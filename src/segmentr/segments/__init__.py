"""Segments: named Stof conditions, simple mode, templates, evaluation and membership."""
