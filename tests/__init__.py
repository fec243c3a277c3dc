"""The test suite, laid out like the package (tests/core, tests/engine, ...). A package, so
that pytest names each test module from the repository root (`tests.core.test_words`):
two folders may then hold test files of the same name, and `tests.support` imports the
same everywhere."""
