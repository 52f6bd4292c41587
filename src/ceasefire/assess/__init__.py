"""ceasefire.assess"""
