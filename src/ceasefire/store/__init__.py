"""ceasefire.store"""
