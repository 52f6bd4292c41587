"""ceasefire.fuse"""
