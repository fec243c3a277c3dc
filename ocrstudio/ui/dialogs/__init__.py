"""Dialogs: shortcuts help, training, import and export."""
