"""ceasefire.ingest"""
