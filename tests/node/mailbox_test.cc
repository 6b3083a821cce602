#include "node/mailbox.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace beamlink::node {
namespace {

using namespace std::chrono_literals;
using Clock = Mailbox::Clock;

Clock::time_point soon(std::chrono::milliseconds d = 0ms) {
  return Clock::now() + d;
}

TEST(MailboxTest, PopsInOrderAndTimesOutWhenEmpty) {
  Mailbox box(false);
  EXPECT_TRUE(box.push(Term(1)).accepted);
  EXPECT_TRUE(box.push(Term(2)).accepted);
  EXPECT_EQ(box.size(), 2u);
  EXPECT_EQ(box.pop(soon()), Term(1));
  EXPECT_EQ(box.pop(soon()), Term(2));
  auto start = Clock::now();
  EXPECT_FALSE(box.pop(soon(30ms)).has_value());
  EXPECT_GE(Clock::now() - start, 25ms);
}

TEST(MailboxTest, SelectiveReceiveKeepsOthersInOrder) {
  Mailbox box(false);
  for (int i = 1; i <= 5; ++i) box.push(Term(i));
  auto even = box.pop_if([](const Term& t) { return t.as<int64_t>() % 2 == 0; }, soon());
  EXPECT_EQ(even, Term(2));
  EXPECT_EQ(box.pop_if([](const Term& t) { return t == Term(5); }, soon()), Term(5));
  EXPECT_FALSE(box.pop_if([](const Term& t) { return t == Term(9); }, soon(10ms)).has_value());
  EXPECT_EQ(box.pop(soon()), Term(1));
  EXPECT_EQ(box.pop(soon()), Term(3));
  EXPECT_EQ(box.pop(soon()), Term(4));
}

TEST(MailboxTest, BlockedReceiverWakesOnPushFromAnotherThread) {
  Mailbox box(false);
  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);
    box.push(Term(42));
  });
  EXPECT_EQ(box.pop(soon(5s)), Term(42));
  producer.join();
}

TEST(MailboxTest, SelectiveReceiverWaitsForAMatchingLaterMessage) {
  Mailbox box(false);
  box.push(Term(1));
  std::thread producer([&] {
    std::this_thread::sleep_for(10ms);
    box.push(Term(2));
    box.push(Term(3));
  });
  EXPECT_EQ(box.pop_if([](const Term& t) { return t == Term(3); }, soon(5s)), Term(3));
  producer.join();
  EXPECT_EQ(box.pop(soon()), Term(1));
  EXPECT_EQ(box.pop(soon()), Term(2));
}

TEST(MailboxTest, CloseRejectsPushesButLeavesQueuedMessages) {
  Mailbox box(false);
  box.push(Term(1));
  box.close();
  EXPECT_TRUE(box.closed());
  EXPECT_FALSE(box.push(Term(2)).accepted);
  EXPECT_EQ(box.pop(soon(1s)), Term(1));
  auto start = Clock::now();
  EXPECT_FALSE(box.pop(Clock::time_point::max()).has_value());  // closed: no wait
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(MailboxTest, ParkedReceiverGetsTheNextPushDirectly) {
  Mailbox box(false);
  Process::ReceiveHandler handler = [](std::optional<Term>) {};
  std::optional<Term> out;
  uint64_t token = 0;
  EXPECT_EQ(box.park(handler, out, token), Mailbox::Park::parked);
  Process::ReceiveHandler second = [](std::optional<Term>) {};
  uint64_t other = 0;
  EXPECT_EQ(box.park(second, out, other), Mailbox::Park::busy);
  auto pushed = box.push(Term(7));
  ASSERT_TRUE(pushed.waiter);
  EXPECT_EQ(pushed.message, Term(7));
  EXPECT_EQ(box.size(), 0u);
  EXPECT_FALSE(box.cancel_parked(token));  // already handed over
}

TEST(MailboxTest, ParkReturnsAQueuedMessageAtOnceAndCancelTakesTheReceiverBack) {
  Mailbox box(false);
  box.push(Term(1));
  Process::ReceiveHandler handler = [](std::optional<Term>) {};
  std::optional<Term> out;
  uint64_t token = 0;
  EXPECT_EQ(box.park(handler, out, token), Mailbox::Park::ready);
  EXPECT_EQ(out, Term(1));
  EXPECT_EQ(box.park(handler, out, token), Mailbox::Park::parked);
  EXPECT_TRUE(box.cancel_parked(token));
  EXPECT_FALSE(box.push(Term(2)).waiter);  // queued normally now
  EXPECT_EQ(box.size(), 1u);
}

TEST(MailboxTest, HandlerModeSchedulesOncePerBusyPeriod) {
  Mailbox box(true);
  EXPECT_TRUE(box.push(Term(1)).schedule);
  EXPECT_FALSE(box.push(Term(2)).schedule);
  std::deque<Term> batch;
  ASSERT_TRUE(box.take_batch(batch));
  EXPECT_EQ(batch.size(), 2u);
  batch.clear();
  EXPECT_FALSE(box.take_batch(batch));  // now idle
  EXPECT_TRUE(box.push(Term(3)).schedule);
}

TEST(MailboxTest, RemoveIfDropsMatchingMessages) {
  Mailbox box(false);
  for (int i = 1; i <= 4; ++i) box.push(Term(i));
  EXPECT_EQ(box.pop(soon()), Term(1));  // moves the rest to the consumer side
  box.push(Term(5));
  box.remove_if([](const Term& t) { return t.as<int64_t>() % 2 == 1; });
  EXPECT_EQ(box.pop(soon()), Term(2));
  EXPECT_EQ(box.pop(soon()), Term(4));
  EXPECT_FALSE(box.pop(soon()).has_value());
}

// A handler receiving selectively inside its own handler (a gen_server
// call): a push from another thread wakes it, and what it leaves goes to
// the next batch in order, with no second drain scheduled meanwhile.
TEST(MailboxTest, HandlerModeSelectiveReceiveInsideTheHandler) {
  Mailbox box(true);
  EXPECT_TRUE(box.push(Term(1)).schedule);
  std::deque<Term> batch;
  ASSERT_TRUE(box.take_batch(batch));  // the handler now runs message 1
  EXPECT_FALSE(box.push(Term(2)).schedule);
  std::thread late([&box] {  // before or while pop_if waits: the same outcome
    EXPECT_FALSE(box.push(Term(3)).schedule);
    EXPECT_FALSE(box.push(Term(4)).schedule);
  });
  auto three = box.pop_if([](const Term& t) { return t == Term(3); }, soon(5s));
  late.join();
  EXPECT_EQ(three, Term(3));
  batch.clear();
  ASSERT_TRUE(box.take_batch(batch));
  EXPECT_EQ(batch, (std::deque<Term>{Term(2), Term(4)}));
  batch.clear();
  EXPECT_FALSE(box.take_batch(batch));
}

// A match runs with no lock held: it may ask the size, remove messages
// (demonitor's flush) and push, and a receive from inside it returns
// nothing at once instead of deadlocking.
TEST(MailboxTest, AMatchMayCallBackIntoTheMailbox) {
  Mailbox box(false);
  for (int i = 1; i <= 4; ++i) box.push(Term(i));
  size_t seen = 0;
  std::optional<Term> inner = Term(0);
  auto got = box.pop_if(
      [&](const Term& t) {
        seen = box.size();
        if (t == Term(1)) {
          box.remove_if([](const Term& m) { return m == Term(2); });
          box.push(Term(5));
          inner = box.pop(soon());
        }
        return t == Term(3);
      },
      soon());
  EXPECT_EQ(got, Term(3));
  EXPECT_EQ(seen, 5u);
  EXPECT_FALSE(inner.has_value());
  EXPECT_EQ(box.size(), 3u);  // 1, 4, 5: 2 was removed
  EXPECT_EQ(box.pop(soon()), Term(1));
  EXPECT_EQ(box.pop(soon()), Term(4));
  EXPECT_EQ(box.pop(soon()), Term(5));
}

TEST(MailboxTest, AMatchThatThrowsLosesNothing) {
  for (bool handler_mode : {false, true}) {
    Mailbox box(handler_mode);
    box.push(Term(1));
    box.push(Term(2));
    EXPECT_THROW(box.pop_if([](const Term&) -> bool { throw std::runtime_error("match"); }, soon()),
                 std::runtime_error);
    EXPECT_EQ(box.size(), 2u);
    EXPECT_EQ(box.pop_if([](const Term& t) { return t == Term(2); }, soon()), Term(2));
    if (handler_mode) {
      std::deque<Term> batch;
      ASSERT_TRUE(box.take_batch(batch));
      EXPECT_EQ(batch, std::deque<Term>{Term(1)});
    } else {
      EXPECT_EQ(box.pop(soon()), Term(1));
    }
  }
}

TEST(MailboxTest, ALimitRefusesPushesUntilMessagesAreTaken) {
  Mailbox box(false);
  box.set_limit(2);
  EXPECT_TRUE(box.push(Term(1)).accepted);
  EXPECT_TRUE(box.push(Term(2)).accepted);
  auto refused = box.push(Term(3));
  EXPECT_FALSE(refused.accepted);
  EXPECT_TRUE(refused.full);
  EXPECT_EQ(box.pop(soon()), Term(1));
  EXPECT_TRUE(box.push(Term(4)).accepted);
  EXPECT_EQ(box.size(), 2u);
}

TEST(MailboxTest, ABatchIsQueuedInOrderUnderTheLimitAsSinglePushesWouldBe) {
  Mailbox box(false);
  box.set_limit(3);
  box.push(Term(0));
  std::vector<Term> batch{Term(1), Term(2), Term(3), Term(4)};
  auto pushed = box.push_batch(batch);
  EXPECT_EQ(pushed.accepted, 2u);
  EXPECT_EQ(pushed.full, 2u);  // 3 and 4, each refused as push would
  EXPECT_FALSE(pushed.closed);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(box.pop(soon()), Term(i));
  EXPECT_FALSE(box.pop(soon()));
}

TEST(MailboxTest, ABatchWakesABlockedReceiverAndFeedsAParkedOne) {
  Mailbox box(false);
  std::optional<Term> got;
  std::thread receiver([&] { got = box.pop(soon(20s)); });
  std::vector<Term> batch{Term(1), Term(2)};
  // The receiver may or may not be blocked yet: either way it gets 1.
  EXPECT_EQ(box.push_batch(batch).accepted, 2u);
  receiver.join();
  EXPECT_EQ(got, Term(1));
  EXPECT_EQ(box.pop(soon()), Term(2));

  Process::ReceiveHandler handler = [](std::optional<Term>) {};
  std::optional<Term> out;
  uint64_t token = 0;
  ASSERT_EQ(box.park(handler, out, token), Mailbox::Park::parked);
  std::vector<Term> next{Term(3), Term(4)};
  auto pushed = box.push_batch(next);
  ASSERT_TRUE(pushed.waiter);
  EXPECT_EQ(pushed.message, Term(3));
  EXPECT_EQ(pushed.accepted, 2u);
  EXPECT_EQ(box.pop(soon()), Term(4));
}

TEST(MailboxTest, ABatchSchedulesAHandlerOnceAndAClosedMailboxRefusesIt) {
  Mailbox box(true);
  std::vector<Term> batch{Term(1), Term(2)};
  EXPECT_TRUE(box.push_batch(batch).schedule);
  std::vector<Term> more{Term(3)};
  EXPECT_FALSE(box.push_batch(more).schedule);
  std::deque<Term> taken;
  ASSERT_TRUE(box.take_batch(taken));
  EXPECT_EQ(taken, (std::deque<Term>{Term(1), Term(2), Term(3)}));
  box.close();
  std::vector<Term> late{Term(4)};
  auto refused = box.push_batch(late);
  EXPECT_TRUE(refused.closed);
  EXPECT_EQ(refused.accepted, 0u);
}

}  // namespace
}  // namespace beamlink::node
