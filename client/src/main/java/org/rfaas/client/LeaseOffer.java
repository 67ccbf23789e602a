package org.rfaas.client;

/**
 * A lease to present to an executor manager.
 *
 * @param node the node's name
 * @param managerAddress where its executor manager listens
 * @param leaseId the resource manager's lease id, 0 when unauthenticated
 * @param token the signed lease token, empty when unauthenticated
 * @param expiresAtEpochMillis expiry, 0 when the manager decides
 */
public record LeaseOffer(String node, String managerAddress, long leaseId, String token, long expiresAtEpochMillis) {
    /** A lease without a resource manager: the executor manager checks only its capacity. */
    public static LeaseOffer unauthenticated(String node, String managerAddress) {
        return new LeaseOffer(node, managerAddress, 0, "", 0);
    }
}
