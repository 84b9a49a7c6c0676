"""Pure view models built from plain API dicts.

Every function here takes plain dicts (as the API returns them) plus `now`, and returns
frozen dataclasses. Nothing here does I/O, reads the clock or the environment, or formats
text for a terminal: colours, glyphs and column layout belong to render/.

Objects from a cluster can be incomplete or wrongly typed; derivation never raises on
them, it falls back to what the Argo Rollouts kubectl plugin would show for a missing field.

May not import: click, kubernetes, kube/, render/, term/, cli/.
"""
