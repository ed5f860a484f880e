package qwensim

import (
	"fmt"
	"net/http"
)

// EndpointDeleteChat is DELETE /api/v2/chats/{id}.
const EndpointDeleteChat = "chats/delete"

// deleteChat serves DELETE /api/v2/chats/{id}, the web UI's "Delete"
// (qwen-2026.md §4: peers clean up the chats they created with it): the
// chat's account deletes it, after which its id is unknown ("not exist")
// to completions; a chat it does not know, or another account's, is
// "Chat not found", as completions answer it.
func (s *Sim) deleteChat(w http.ResponseWriter, r *http.Request) {
	chatID := r.PathValue("id")
	s.record(s.call(EndpointDeleteChat, chatID, nil, r))
	if s.applyFault(w, r, s.takeFault(EndpointDeleteChat)) {
		return
	}
	if _, ok := s.checkRequest(w, r, true); !ok {
		return
	}
	account, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	c := s.chats[chatID]
	deleted := c != nil && s.owns(chatID, account)
	if deleted {
		delete(s.chats, chatID)
		if c.use != nil {
			s.recent.Remove(c.use)
		}
	}
	s.mu.Unlock()
	if !deleted {
		writeEnvelope(w, CodeNotFound, "Chat not found", http.StatusNotFound)
		return
	}
	s.disown(chatID)
	if s.opt.OnDeleteChat != nil {
		s.opt.OnDeleteChat(chatID)
	}
	jsonAnswer(w)
	fmt.Fprintf(w, `{"success":true,"request_id":%q,"data":{"status":true}}`, newID())
}

// HasChat reports whether Qwen still knows chat id (not deleted, not
// forgotten).
func (s *Sim) HasChat(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chats[id] != nil
}
