package checks

// ReadAddressAndPeople checks an address and people as a change of a release would check
// them, and returns them as they would be kept, writing nothing: a page shows what will
// change, or what is wrong, before it asks for the change to be confirmed. The change
// itself is checked again when it is made (UpdateRelease).
func (s *Service) ReadAddressAndPeople(a AddressInput, ps []PersonInput) (Address, []Person, error) {
	var f fields
	addr := address(&f, a)
	people := people(&f, ps, s.Today())
	return addr, people, f.err()
}
