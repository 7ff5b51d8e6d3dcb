"""The command line over the same core, one module per sub-command (dispatched by ftgui.app)."""
