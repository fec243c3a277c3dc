"""The annotation canvas: items drawn from the Qt-free model, and the view that edits them."""
