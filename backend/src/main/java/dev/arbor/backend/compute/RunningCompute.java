package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.PostgresServer;
import dev.arbor.backend.compute.volume.FuseVolume;
import dev.arbor.storage.TimelineId;

/** What a started endpoint holds: its mount, its postmaster and, for read-only endpoints, its scratch timeline. */
record RunningCompute(TimelineId timeline, FuseVolume volume, PostgresServer server, TimelineId scratch) {}
