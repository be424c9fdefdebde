# rollcall: one image for every process (the bot, and one-off CLI verbs).
#   docker build -t rollcall .
#   docker run --env-file rollcall.env -v rollcall-data:/var/lib/rollcall \
#       -v ./rollcall.toml:/etc/rollcall/rollcall.toml:ro -p 8080:8080 rollcall
# See deploy/README.md and compose.yaml.

FROM python:3.11.11-slim-bookworm AS build
# the install steps live in one script, which the test suite runs in a clean venv too
COPY pyproject.toml README.md LICENSE requirements.lock /src/
COPY bot /src/bot
COPY adapters /src/adapters
COPY storage /src/storage
COPY deploy/install.sh /src/deploy/install.sh
RUN /src/deploy/install.sh /opt/rollcall /src

FROM python:3.11.11-slim-bookworm
LABEL org.opencontainers.image.title="rollcall" \
      org.opencontainers.image.description="Attendance for virtual therapy groups" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 rollcall \
    && useradd --system --uid 10001 --gid rollcall --home-dir /var/lib/rollcall \
       --shell /usr/sbin/nologin rollcall \
    && mkdir -p /var/lib/rollcall /etc/rollcall \
    && chown rollcall:rollcall /var/lib/rollcall
COPY --from=build /opt/rollcall /opt/rollcall
ENV PATH="/opt/rollcall/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ROLLCALL_CONFIG=/etc/rollcall/rollcall.toml
USER 10001:10001
WORKDIR /var/lib/rollcall
VOLUME ["/var/lib/rollcall"]
EXPOSE 8080
# alive = the HTTP server answers; /readyz is for load balancers (see deploy/README.md)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('ROLLCALL_PORT', '8080') + '/healthz', timeout=4)"]
# rollcall stops cleanly on SIGTERM: in-flight work finishes, nothing acknowledged is lost
STOPSIGNAL SIGTERM
ENTRYPOINT ["rollcall"]
CMD ["run"]
