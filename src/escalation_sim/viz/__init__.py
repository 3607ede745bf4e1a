"""The browser view of the model (Mesa's SolaraViz), served by ``escalation-sim viz``.

``page`` holds the page (``escalation_sim.viz.page:page``) and ``app`` the model behind it;
``figures``, ``svgmap``, ``charts`` and ``geography`` what it draws; ``server`` how it is
served. Importing this package imports neither Solara nor matplotlib.
"""
