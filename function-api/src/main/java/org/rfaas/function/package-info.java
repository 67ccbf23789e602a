/**
 * The API a Java function implements to run on rFaaS: {@link org.rfaas.function.FaasFunction}.
 *
 * <p>Native functions need no Java at all: a shared library exporting
 * {@code uint32_t name(void* in, uint32_t in_size, void* out)} (the original rFaaS ABI) is loaded
 * by the executor through the FFM API.
 */
package org.rfaas.function;
