# Image for the web, worker and beat services of docker-compose.yml.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PA_ENV=production

# Letters are drawn by ReportLab with the fonts in reviews/fonts; the few with right-to-left text
# or letters DejaVu Sans lacks go to WeasyPrint, which needs Pango (reviews/letters.py) and, for
# names in Chinese, Korean or Japanese, a CJK font (fonts-wqy-microhei; scripts/fonts.sh).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
        fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

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
