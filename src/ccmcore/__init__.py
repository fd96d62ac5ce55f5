"""ccmcore: a document composition engine for customer communications."""
__version__ = "0.1.0"
