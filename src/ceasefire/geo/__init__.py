"""ceasefire.geo"""
