# Image for the web, worker and beat services of docker-compose.yml.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PA_ENV=production

# No system libraries or fonts: letters are drawn by ReportLab with the fonts in reviews/fonts.

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
# collectstatic only needs a throwaway key; the real one comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 portal && mkdir -p /var/lib/pa-portal/documents \
    && chown -R portal /var/lib/pa-portal
USER portal
EXPOSE 8000
CMD ["gunicorn", "pa_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
