"""What more than one test module shares (helper modules, no tests): tiny models, rendered
words and photos, the receipt layout, the PostgreSQL server, the ui tests' window. A test
module imports from here, never from another test module."""
