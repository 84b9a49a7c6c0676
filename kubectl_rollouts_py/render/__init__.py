"""Pure text from view models: the layouts, glyphs and colours of the Argo Rollouts kubectl plugin.

A renderer takes a finished view and a Style and returns a string. It never calls the API,
reads the clock or the environment, or writes to a stream. Every string that came from a
cluster or a file goes through `escape.clean()` before it is laid out.

May not import: click, kubernetes, kube/, derive/ (renderers get finished views; importing
the view *types* from derive.views is allowed), term/, cli/.
"""
