"""One module per resource of api.md §4; each declares an ``APIRouter`` named ``router``."""
