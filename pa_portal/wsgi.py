import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pa_portal.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, their modules) lives as long as the process: moved out
# of the collector's sight, the full collections a request's garbage sets off no longer walk it
# again each time (issue 20, bench/README.md).
gc.collect()
gc.freeze()
