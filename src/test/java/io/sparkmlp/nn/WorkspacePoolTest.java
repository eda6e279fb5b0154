package io.sparkmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class WorkspacePoolTest {

    private static final Layout LAYOUT = new Layout(4, 3, 2);

    @Test
    void twoHoldersGetTwoWorkspacesAndAWorkspaceGivenBackIsLentAgain() {
        WorkspacePool pool = new WorkspacePool(LAYOUT, 8, 2);
        Workspace first = pool.borrow();
        Workspace second = pool.borrow();
        assertNotSame(first, second);
        assertEquals(LAYOUT, first.layout());
        assertEquals(8, first.capacity());
        pool.giveBack(first);
        assertEquals(1, pool.idleCount());
        assertSame(first, pool.borrow());
        assertEquals(0, pool.idleCount());
        assertEquals(2, pool.madeCount(), "two made, one of them lent twice");
    }

    @Test
    void thePoolKeepsAtMostItsIdleLimitAndMakesNewOnesWhenEmpty() {
        WorkspacePool pool = new WorkspacePool(LAYOUT, 8, 2);
        Workspace a = pool.borrow();
        Workspace b = pool.borrow();
        Workspace c = pool.borrow();
        pool.giveBack(a);
        pool.giveBack(b);
        pool.giveBack(c);
        assertEquals(2, pool.idleCount());
        Workspace x = pool.borrow();
        Workspace y = pool.borrow();
        Workspace z = pool.borrow();
        assertTrue((x == a || x == b) && (y == a || y == b) && x != y, "the two kept are lent first");
        assertNotSame(c, z, "the third was not kept: a new one is made");
        assertEquals(4, pool.madeCount());
    }

    @Test
    void aWorkspaceOfOtherLayersOrCapacityIsRefusedWithBothShapes() {
        WorkspacePool pool = new WorkspacePool(LAYOUT, 8, 2);
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                () -> pool.giveBack(new Workspace(new Layout(4, 5, 2), 8)));
        assertTrue(layers.getMessage().contains("4-5-2") && layers.getMessage().contains("4-3-2"), layers.getMessage());
        IllegalArgumentException capacity = assertThrows(IllegalArgumentException.class,
                () -> pool.giveBack(new Workspace(LAYOUT, 7)));
        assertTrue(capacity.getMessage().contains("7 examples") && capacity.getMessage().contains("8 examples"),
                capacity.getMessage());
        assertEquals(0, pool.idleCount());
    }

    @Test
    void badSizesAreRefusedWithTheValue() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WorkspacePool(LAYOUT, 0, 2))
                .getMessage().contains("got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WorkspacePool(LAYOUT, 8, -1))
                .getMessage().contains("got -1"));
    }
}
