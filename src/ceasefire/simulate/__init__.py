"""ceasefire.simulate"""
