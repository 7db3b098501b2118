// Row collections that keep their own version. A view re-sorts a table's rows only when
// its version moved (a row appeared or vanished); counting that by hand after each change
// is easy to forget, so the collection does it: set() of a new key, delete() of a present
// one and clear() of a non-empty one move the version; set() of a key already there (a
// row updated in place) does not. Several collections may share one version (every MTA's
// channel table moves the one structure version).

/** A version shared by the collections of one kind of row. */
export class RowVersion {
  value = 0;
}

export class Rows<K, V> extends Map<K, V> {
  constructor(readonly version: RowVersion = new RowVersion()) {
    super();
  }

  override set(key: K, value: V): this {
    if (!super.has(key)) this.version.value++;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    if (!super.delete(key)) return false;
    this.version.value++;
    return true;
  }

  override clear(): void {
    if (this.size === 0) return;
    super.clear();
    this.version.value++;
  }

  /** Rows that depend on these changed without any of these appearing (a sub-table's rows, a row shown from its first reading on). */
  touch(): void {
    this.version.value++;
  }
}
