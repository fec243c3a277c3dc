"""engine/recognition"""
