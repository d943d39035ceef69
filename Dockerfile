# The Agent Server image: one image, four roles (api, worker, beat, prepare).
# It serves the example app; `manage.py build` makes an image serving your own langgraph.json.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

WORKDIR /app
# Production requirements only: the embedded servers of `manage.py dev` (requirements-embedded.txt)
# are not installed, so the image builds from wheels on amd64 and arm64 alike.
# Graphviz's `dot` lays out the assistants' graph diagrams in the admin.
RUN apt-get update && apt-get install -y --no-install-recommends graphviz && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --home /app agent && chown -R agent /app
USER agent

EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["api"]
