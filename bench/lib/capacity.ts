/** DynamoDB ConsumedCapacity arithmetic for the cost benchmark. */
export interface Capacity {
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/** Write / read capacity of a ConsumedCapacity (one table) or a list of them (transactions, batches). */
export function capacityOf(consumed: Capacity | Capacity[] | undefined, write: boolean): { wcu: number; rcu: number; indexWcu: number } {
  const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  let wcu = 0;
  let rcu = 0;
  let indexWcu = 0;
  for (const c of list) {
    if (write) for (const ix of Object.values(c.GlobalSecondaryIndexes ?? {})) indexWcu += ix.CapacityUnits ?? 0;
    if (c.WriteCapacityUnits !== undefined || c.ReadCapacityUnits !== undefined) {
      wcu += c.WriteCapacityUnits ?? 0;
      rcu += c.ReadCapacityUnits ?? 0;
    } else if (write) wcu += c.CapacityUnits ?? 0;
    else rcu += c.CapacityUnits ?? 0;
  }
  return { wcu, rcu, indexWcu };
}
