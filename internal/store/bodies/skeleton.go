package bodies

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A skeleton is a body with its parts cut out:
//
//	uvarint n                      number of parts
//	n × (uvarint gap, uvarint id)  where each part goes back, as the gap in
//	                               literal bytes since the previous one, and
//	                               the part's id in the store
//	literal                        the body's bytes outside its parts
//
// Ids are the store's own (row ids), so a skeleton means something only in
// the database that holds its parts.

// Skeleton cuts spans (from Split) out of body; ids[i] is the stored part of
// spans[i].
func Skeleton(body []byte, spans []Span, ids []int64) []byte {
	size := len(body) + binary.MaxVarintLen64
	for _, sp := range spans {
		size -= sp.End - sp.Start
	}
	out := make([]byte, 0, size+len(spans)*6)
	out = binary.AppendUvarint(out, uint64(len(spans)))
	last := 0
	for i, sp := range spans {
		out = binary.AppendUvarint(out, uint64(sp.Start-last))
		out = binary.AppendUvarint(out, uint64(ids[i]))
		last = sp.End
	}
	last = 0
	for _, sp := range spans {
		out = append(out, body[last:sp.Start]...)
		last = sp.End
	}
	return append(out, body[last:]...)
}

// Ref is a skeleton's reference to a part.
type Ref struct {
	Gap int   // literal bytes since the previous reference
	ID  int64 // the part's id
}

// ErrCorrupt reports a skeleton that cannot be read.
var ErrCorrupt = errors.New("corrupt body skeleton")

// Parse reads a skeleton's references and literal bytes.
func Parse(skel []byte) (refs []Ref, literal []byte, err error) {
	n, k := binary.Uvarint(skel)
	if k <= 0 || n > uint64(len(skel)) {
		return nil, nil, ErrCorrupt
	}
	skel = skel[k:]
	refs = make([]Ref, n)
	total := 0
	for i := range refs {
		gap, k := binary.Uvarint(skel)
		if k <= 0 {
			return nil, nil, ErrCorrupt
		}
		skel = skel[k:]
		id, k := binary.Uvarint(skel)
		if k <= 0 || id > 1<<62 {
			return nil, nil, ErrCorrupt
		}
		skel = skel[k:]
		total += int(gap)
		if gap > uint64(len(skel)) || total > len(skel) {
			return nil, nil, ErrCorrupt
		}
		refs[i] = Ref{int(gap), int64(id)}
	}
	return refs, skel, nil
}

// Join puts a skeleton's parts back: the body, byte for byte.
func Join(skel []byte, part func(id int64) ([]byte, error)) ([]byte, error) {
	refs, literal, err := Parse(skel)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(literal))
	at := 0
	for _, r := range refs {
		out = append(out, literal[at:at+r.Gap]...)
		at += r.Gap
		p, err := part(r.ID)
		if err != nil {
			return nil, fmt.Errorf("body part %d: %w", r.ID, err)
		}
		out = append(out, p...)
	}
	return append(out, literal[at:]...), nil
}
