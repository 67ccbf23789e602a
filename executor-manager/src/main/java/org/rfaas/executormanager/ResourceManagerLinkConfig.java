package org.rfaas.executormanager;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URI;

/**
 * The {@code resourceManager} object of an executor-manager config file: where the resource
 * manager is and how often to heartbeat. Defaults and validation happen here, when the file is
 * read (see {@link ExecutorManagerConfig}); the link to the resource manager only uses it.
 *
 * <pre>{@code "resourceManager": {"url": "http://rm:8090", "heartbeatMillis": 2000}}</pre>
 *
 * @param url base URL of the resource manager (http or https)
 * @param heartbeatMillis heartbeat period, default 2000; keep it well under the resource manager's timeout
 */
public record ResourceManagerLinkConfig(URI url, long heartbeatMillis) {
    /** Heartbeat period when the file names none. */
    public static final long DEFAULT_HEARTBEAT_MILLIS = 2000;

    @JsonCreator
    public ResourceManagerLinkConfig(@JsonProperty("url") URI url, @JsonProperty("heartbeatMillis") long heartbeatMillis) {
        if (url == null || url.getHost() == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
            throw new IllegalArgumentException("resourceManager.url must be an http(s) URL with a host, got " + url);
        }
        if (heartbeatMillis < 0) {
            throw new IllegalArgumentException("resourceManager.heartbeatMillis must be positive, got " + heartbeatMillis);
        }
        this.url = url;
        this.heartbeatMillis = heartbeatMillis == 0 ? DEFAULT_HEARTBEAT_MILLIS : heartbeatMillis;
    }
}
