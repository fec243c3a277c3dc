"""engine/detection"""
