"""ceasefire.design"""
