"""The browser view of the model (Mesa's SolaraViz), served by ``escalation-sim viz``.

``app`` holds the page (``escalation_sim.viz.app:page``), ``figures`` what it draws and
``server`` how it is served. Importing this package imports neither Solara nor matplotlib.
"""
