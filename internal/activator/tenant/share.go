package tenant

// Share returns activator index's share of limit, a limit summed over
// count activators: limit/count, the remainder going to the lowest indexes,
// so that the shares add up to limit exactly. limited is false when limit is
// 0 (no limit). A share may be 0 (limit < count): that activator admits
// nothing under this limit. count < 1 counts as 1; an index outside
// [0, count) gets the smallest share.
func Share(limit int32, count, index int) (share int64, limited bool) {
	if limit <= 0 {
		return 0, false
	}
	if count < 1 {
		count = 1
	}
	share = int64(limit) / int64(count)
	if index >= 0 && index < int(int64(limit)%int64(count)) {
		share++
	}
	return share, true
}
