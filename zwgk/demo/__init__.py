"""The bundled demo district: a synthetic 示范区人民政府 site (dates relative to a given day) and its server."""

from zwgk.demo.model import DemoSite, Page, Planted
from zwgk.demo.site import build_site

__all__ = ["DemoSite", "Page", "Planted", "build_site"]
