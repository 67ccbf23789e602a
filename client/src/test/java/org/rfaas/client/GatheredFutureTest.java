package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The scatter's future: outputs in part order, complete only when every part is, first failure. */
class GatheredFutureTest {

    @Test
    void outputsAreInPartOrderWhateverOrderThePartsCompleteIn() {
        DrivenFuture.Gathered all = new DrivenFuture.Gathered(3, () -> 0);
        List<CompletableFuture<byte[]>> parts = List.of(all.part(0), all.part(1), all.part(2));
        parts.get(2).complete(new byte[] {2});
        parts.get(0).complete(new byte[] {0});
        assertFalse(all.isDone(), "one part is still in flight");
        parts.get(1).complete(new byte[] {1});
        List<byte[]> out = all.join();
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(new byte[] {(byte) i}, out.get(i));
        }
    }

    @Test
    void aFailureEndsTheWholeOnlyWhenEveryPartEndedAndTheFirstFailureIsReported() {
        DrivenFuture.Gathered all = new DrivenFuture.Gathered(3, () -> 0);
        List<CompletableFuture<byte[]>> parts = List.of(all.part(0), all.part(1), all.part(2));
        RfaasException first = new FunctionFailedException("f", "first");
        parts.get(1).completeExceptionally(first);
        assertFalse(all.isDone(), "parts 0 and 2 are still in flight");
        parts.get(0).completeExceptionally(new ExecutorLostException("later"));
        parts.get(2).complete(new byte[0]);
        CompletionException e = assertThrows(CompletionException.class, all::join);
        assertSame(first, e.getCause());
    }

    @Test
    void aPartCompletedTwiceCountsOnce() {
        DrivenFuture.Gathered all = new DrivenFuture.Gathered(2, () -> 0);
        CompletableFuture<byte[]> p0 = all.part(0);
        CompletableFuture<byte[]> p1 = all.part(1);
        assertTrue(p0.complete(new byte[] {7}));
        assertFalse(p0.complete(new byte[] {8}));
        assertFalse(p0.completeExceptionally(new ExecutorLostException("late")));
        assertFalse(all.isDone(), "a second completion of part 0 must not stand in for part 1");
        p1.complete(new byte[] {9});
        assertEquals(7, all.join().get(0)[0]);
    }

    @Test
    @SuppressWarnings("unchecked")
    void joinDrivesTheStepOnTheWaitingThread() {
        AtomicInteger steps = new AtomicInteger();
        DrivenFuture.Gathered[] holder = new DrivenFuture.Gathered[1];
        CompletableFuture<?>[] part = new CompletableFuture<?>[1];
        holder[0] = new DrivenFuture.Gathered(1, () -> {
            if (steps.incrementAndGet() == 50) {
                ((CompletableFuture<byte[]>) part[0]).complete(new byte[] {1});
                return 1;
            }
            return 0;
        });
        part[0] = holder[0].part(0);
        assertEquals(1, holder[0].join().get(0)[0]);
        assertEquals(50, steps.get());
    }
}
