/// A change the informer saw, applied to its cache before it is delivered.
public enum InformerEvent<Object: KubernetesObject>: Sendable {
    /// An object appeared: a watch `ADDED`, or an object first seen in a (re)list.
    case added(Object)
    /// An object changed: a watch `MODIFIED`, or an object whose resource version differs in a
    /// relist.
    case updated(old: Object, new: Object)
    /// An object went away: a watch `DELETED` (with its last state), or an object missing from a
    /// relist (with the last state the cache had: its final state is unknown).
    case deleted(Object)
    /// The cache now holds a complete list: sent after the first list and after every relist.
    /// Until the first one the cache is partial; do not conclude that a pod is gone before it.
    case synced
}
