package org.rfaas.resourcemanager;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The few JDBC shapes {@link ClusterState} uses: positional parameters, row lists, updates. */
final class Sql {
    private Sql() {
    }

    /** Maps the current row of a result set. */
    @FunctionalInterface
    interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** A statement with {@code args} bound to its parameters in order; the caller closes it. */
    static PreparedStatement prepare(Connection db, String sql, Object... args) throws SQLException {
        PreparedStatement ps = db.prepareStatement(sql);
        try {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps;
        } catch (SQLException e) {
            ps.close();
            throw e;
        }
    }

    /** Every row of the query, mapped. */
    static <T> List<T> list(Connection db, String sql, Row<T> row, Object... args) throws SQLException {
        List<T> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(db, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(row.map(rs));
            }
        }
        return out;
    }

    /** Runs an update; answers the number of rows it changed. */
    static int update(Connection db, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(db, sql, args)) {
            return ps.executeUpdate();
        }
    }
}
