"""Helpers the test suite and the benchmarks share (not part of segmentr itself): the private PostgreSQL server
(``postgres``) and where the conformance corpora and the benchmark scripts are (``corpora``)."""
