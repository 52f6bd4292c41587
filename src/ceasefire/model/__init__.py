"""ceasefire.model"""
