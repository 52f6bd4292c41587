"""ceasefire.report"""
