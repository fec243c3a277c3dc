"""Dock panels: the image list, the region panel, the models panel."""
