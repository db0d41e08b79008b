"""zhseg's model side: training, the model directory, fast decoding and the Segmenter API."""

__version__ = "0.1.0"


def __getattr__(name):
    # Lazy so that ``import model`` stays cheap and training-only dependencies load on demand.
    if name == "Segmenter":
        from model.segmenter import Segmenter

        return Segmenter
    raise AttributeError(name)


__all__ = ["Segmenter", "__version__"]
