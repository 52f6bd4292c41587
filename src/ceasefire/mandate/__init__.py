"""ceasefire.mandate"""
