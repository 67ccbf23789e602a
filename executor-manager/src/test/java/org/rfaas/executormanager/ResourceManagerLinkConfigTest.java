package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The {@code resourceManager} config object: one URL or several (leader and standbys). */
class ResourceManagerLinkConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void oneUrl() throws Exception {
        ResourceManagerLinkConfig c = JSON.readValue("{\"url\": \"http://rm:8090\"}", ResourceManagerLinkConfig.class);
        assertEquals(URI.create("http://rm:8090"), c.url());
        assertEquals(URI.create("http://rm:8090"), c.urls());
        assertEquals(1, c.resourceManagers());
        assertEquals(ResourceManagerLinkConfig.DEFAULT_HEARTBEAT_MILLIS, c.heartbeatMillis());
    }

    @Test
    void severalUrlsFailOverAndTheFirstIsTheUrl() throws Exception {
        ResourceManagerLinkConfig c = JSON.readValue("{\"url\": \"https://rm1:8090,rm2:8091/base\", \"heartbeatMillis\": 500}",
                ResourceManagerLinkConfig.class);
        assertEquals(URI.create("https://rm1:8090/base"), c.url());
        assertEquals(URI.create("https://rm1:8090,rm2:8091/base"), c.urls());
        assertEquals(2, c.resourceManagers());
        assertEquals(500, c.heartbeatMillis());
    }

    @Test
    void refusesWhatIsNoResourceManagerUrl() {
        for (String bad : new String[] {"ftp://rm:8090", "http://rm1:8090,,rm2:8090", "http://rm1:8090,", "rm:8090", "/v1"}) {
            assertThrows(IllegalArgumentException.class, () -> new ResourceManagerLinkConfig(URI.create(bad), 0), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new ResourceManagerLinkConfig(null, 0));
        assertThrows(IllegalArgumentException.class, () -> new ResourceManagerLinkConfig(URI.create("http://rm:1"), -1));
        assertThrows(IllegalArgumentException.class, () -> new ResourceManagerLinkConfig(URI.create("http://rm2:1"), 0,
                URI.create("http://rm1:1,rm2:1")), "url must be the first of urls");
    }
}
