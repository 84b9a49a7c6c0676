"""Terminal facts: whether to colour, how wide the screen is.

May not import: click, kubernetes, kube/, derive/, render/.
"""
