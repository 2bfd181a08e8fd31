"""Short news-style articles written for the offline demo (second half).

Places, people and events are invented. Each entry is (article, summary sentences).
"""

ARTICLES = [
    (
        "Kelsey Golf Club has agreed to open its course to walkers and dog owners on Mondays, when no "
        "games are played. The decision follows a long dispute over a public footpath that crosses "
        "the course and was closed for safety reasons five years ago. Under the agreement, the club "
        "will reopen the footpath on all days with new fences and warning signs, and the wider course "
        "will be open to the public every Monday. The club secretary said members had voted in favour "
        "by a large majority. The local ramblers' group called the agreement a sensible compromise.",
        ["Kelsey Golf Club will reopen a closed public footpath and let walkers use the whole course on "
         "Mondays.",
         "The agreement ends a five-year dispute."],
    ),
    (
        "A woman from Elsby has been reunited with her cat eleven years after it went missing. The "
        "cat, named Pepper, was found last week wandering in a garden more than 200 kilometres away. "
        "A vet scanned its microchip, which still held the owner's details. Sarah Lowe said she had "
        "given up hope of seeing Pepper again after searching for months in 2013. The cat is now "
        "fifteen years old and in good health, although it is thinner than before. Lowe said Pepper "
        "settled back into the house within a day and went straight to its old favourite chair.",
        ["Sarah Lowe from Elsby has been reunited with her cat Pepper, which went missing eleven years "
         "ago, thanks to its microchip.",
         "The cat was found more than 200 kilometres away."],
    ),
    (
        "Northfield city council will introduce a twenty miles per hour speed limit on most residential "
        "streets from next January. Main roads will keep their current limit of thirty. The council "
        "says the change will reduce the number and severity of accidents and make streets more "
        "pleasant for walking and cycling. In a consultation, 58 per cent of residents supported the "
        "plan. Opponents argued that journeys would take longer and that police did not have the staff "
        "to enforce the new limit. The council will put up new signs and paint speed limits on the "
        "road, and it will review accident figures after two years. In other cities that have "
        "introduced similar limits, the number of people injured on residential streets fell by "
        "between a fifth and a quarter within three years, according to a report published by "
        "the council. Journey times by car rose only slightly, because most delays are caused at "
        "junctions rather than on straight stretches of road. Bus operators said they did not "
        "expect the change to affect their timetables, as buses mainly use the main roads. A "
        "local cycling group welcomed the decision and said it hoped more parents would now let "
        "their children cycle to school.",
        ["Northfield will introduce a twenty miles per hour limit on most residential streets from "
         "January, while main roads stay at thirty.",
         "The council says it will reduce accidents; 58 per cent of residents supported the plan."],
    ),
    (
        "The owners of a factory in Marbridge that makes garden furniture have announced that it will "
        "close next year with the loss of 230 jobs. The company said demand had fallen sharply and that "
        "it would move production to a larger site abroad. The factory has operated in the town since "
        "1957 and was once its largest employer. Union representatives said they would try to persuade "
        "the company to keep part of the site open. The local council has set up an advice centre to "
        "help workers find new jobs and training, and several employers in the area have said they are "
        "recruiting.",
        ["A garden furniture factory in Marbridge will close next year with the loss of 230 jobs as "
         "production moves abroad.",
         "The council has set up an advice centre to help workers find new jobs."],
    ),
    (
        "Astronomers at a small observatory in the hills above Ashford Vale have discovered a new comet. "
        "The object was spotted on photographs taken on three nights last week by two amateur members "
        "of the observatory's society. Professional astronomers have confirmed the discovery and "
        "calculated that the comet will pass closest to the Sun in about eighteen months. It is "
        "currently too faint to be seen without a telescope, but it could become visible with "
        "binoculars next year. The comet will carry the names of the two discoverers, a retired "
        "teacher and a nineteen-year-old student.",
        ["Two amateur astronomers at an observatory above Ashford Vale have discovered a new comet.",
         "It could become visible with binoculars next year and will be named after them."],
    ),
    (
        "Greyhaven's lifeboat crew was called out a record 94 times last year, the station's annual "
        "report shows. The busiest months were July and August, when crews helped swimmers, "
        "paddleboarders and small boats that had got into difficulty. On one day in August the "
        "lifeboat was launched four times. The crew is made up of volunteers who leave work or home "
        "whenever their pagers sound. The station manager said the figures showed how many more "
        "people were using the sea for leisure. He urged visitors to check tide times and to carry a "
        "way of calling for help.",
        ["Greyhaven's volunteer lifeboat crew was called out a record 94 times last year, mostly in "
         "July and August.",
         "The station manager urged visitors to check tide times and carry a way to call for help."],
    ),
    (
        "A primary school in Linton has started a breakfast club that gives every pupil a free "
        "breakfast before lessons. The club opens at eight o'clock and serves cereal, toast, fruit "
        "and milk. Teachers had noticed that some children arrived hungry and found it hard to "
        "concentrate. The club is paid for by a local supermarket and a charity for one year. About "
        "three quarters of pupils now attend regularly. The head teacher said children were calmer in "
        "the first lessons of the day and that lateness had fallen, because many parents now drop "
        "their children off earlier.",
        ["A Linton primary school now offers every pupil a free breakfast before lessons, paid for by "
         "a supermarket and a charity.",
         "About three quarters of pupils attend, and lateness has fallen."],
    ),
    (
        "Water levels in the two reservoirs that supply Port Elmer have fallen to their lowest point "
        "for the time of year since records began, after the driest spring in sixty years. The water "
        "company has asked customers to save water by taking shorter showers and not washing cars "
        "with hoses. It says a ban on using garden hoses could follow next month if there is not "
        "significant rain. The company is also repairing leaks more quickly, and it has started "
        "moving water by pipe from a river further north. Farmers say some crops are already "
        "suffering.",
        ["Reservoirs supplying Port Elmer are at a record low for the time of year after the driest "
         "spring in sixty years.",
         "The water company has asked customers to save water and warned of a possible hosepipe ban."],
    ),
    (
        "A musician from Kelsey has found a violin made in the eighteenth century hidden in his late "
        "grandmother's attic. Daniel Frost was clearing the house when he discovered the instrument "
        "wrapped in a blanket inside an old suitcase. An expert identified it as the work of a "
        "well-known maker from northern Italy and said it was in remarkably good condition. The violin "
        "could be worth around 150,000 pounds. Frost, who plays in a folk band, said his grandmother "
        "had never mentioned it. He has decided not to sell the violin and will lend it to a young "
        "player at the local music school.",
        ["Musician Daniel Frost found an eighteenth-century Italian violin worth around 150,000 pounds "
         "in his late grandmother's attic.",
         "He will lend it to a young player at the local music school instead of selling it."],
    ),
    (
        "Shops in Northfield city centre reported their busiest weekend of the year after the council "
        "made parking free for three days. Footfall counters on the high street recorded 40 per cent "
        "more visitors than on an average weekend. Several cafe owners said they had run out of food "
        "by Sunday afternoon. The council tried the free parking to support businesses after months of "
        "road works that had kept many shoppers away. Councillors will now discuss whether to offer "
        "free parking on one weekend every month, although some worry about the loss of parking income "
        "and about traffic.",
        ["Free parking for three days brought 40 per cent more visitors to Northfield city centre, "
         "giving shops their busiest weekend of the year.",
         "Councillors will discuss offering free parking one weekend every month."],
    ),
    (
        "A retired nurse from Elsby has celebrated her hundredth birthday with a party at the village "
        "hall attended by more than eighty guests. Edith Morgan worked at the county hospital for "
        "thirty-eight years and trained many of the nurses who later ran its wards. She still lives in "
        "her own house, grows vegetables and walks to the village shop every morning. Asked for the "
        "secret of a long life, she said she had always kept busy and never worried about things she "
        "could not change. Her family presented her with a book of letters from former colleagues and "
        "patients.",
        ["Retired nurse Edith Morgan from Elsby celebrated her hundredth birthday with more than eighty "
         "guests.",
         "She worked at the county hospital for thirty-eight years and still lives independently."],
    ),
    (
        "Greyhaven harbour will receive 12 million pounds to build a new quay for the offshore wind "
        "industry. Ships carrying turbine parts and service crews will use the quay, which is expected "
        "to create about 300 permanent jobs. Work will start in the spring and take two years. The "
        "harbour authority said the project would secure the future of the port, where fishing has "
        "declined for decades. Fishermen have been promised that their moorings will not be affected. "
        "A college in the town will offer new courses for technicians who maintain wind turbines. "
        "The money comes from a national fund for coastal towns and from two energy companies "
        "that are building wind farms off the coast. The harbour authority expects ships to use "
        "the quay every day once the wind farms are operating, and it plans to build a warehouse "
        "and offices next to it. Local business leaders said the project would bring young "
        "families back to the town, where the population has fallen for twenty years. Some "
        "residents have raised concerns about extra lorry traffic through the narrow streets "
        "near the harbour, and the council has promised to study a new access road.",
        ["Greyhaven harbour will get 12 million pounds for a new quay serving the offshore wind "
         "industry, expected to create about 300 jobs.",
         "A local college will train wind turbine technicians."],
    ),
    (
        "Two hundred people took part in a clean-up of the River Marr on Sunday, removing more than two "
        "tonnes of rubbish from its banks and shallow water. Volunteers pulled out shopping trolleys, "
        "tyres, traffic cones and a rusty motorbike, as well as hundreds of bottles and cans. The event "
        "was organised by a group of anglers who say litter has harmed fish stocks. Council lorries "
        "took the rubbish away, and much of the metal will be recycled. The organisers plan to hold "
        "the clean-up twice a year and to put up signs reminding people not to throw litter into the "
        "river.",
        ["Two hundred volunteers removed more than two tonnes of rubbish from the River Marr on "
         "Sunday.",
         "The anglers who organised it plan to hold a clean-up twice a year."],
    ),
    (
        "A company in Ashford Vale has started delivering parcels by electric cargo bike instead of "
        "vans in the town centre. The company's eight bikes can each carry up to 150 kilograms and use "
        "cycle lanes to avoid traffic. The manager said deliveries were now faster on average, "
        "especially at busy times, and that the bikes cost far less to run than vans. Riders work "
        "shifts of six hours and wear waterproof clothing provided by the company. The town council "
        "has welcomed the scheme, which it says reduces noise and air pollution in narrow streets, and "
        "is considering more loading bays for bikes.",
        ["A company in Ashford Vale now delivers parcels in the town centre by electric cargo bike "
         "instead of van.",
         "Deliveries are faster on average, and the council welcomes the lower noise and pollution."],
    ),
    (
        "Library visits in Marbridge rose by a quarter last year after the libraries began lending "
        "items other than books. Members can now borrow tools, sewing machines, board games, musical "
        "instruments and even camping equipment for up to two weeks. The most popular item was a "
        "carpet cleaner, which was booked for months in advance. Librarians say the scheme has brought "
        "in many people who had not visited a library for years, and that many of them also borrow "
        "books while they are there. The council plans to add telescopes and bread-making machines "
        "next year.",
        ["Visits to Marbridge libraries rose by a quarter after they started lending tools, games, "
         "instruments and camping equipment.",
         "A carpet cleaner was the most popular item."],
    ),
    (
        "A new footbridge over the railway in Kelsey has opened, ending a detour of almost a kilometre "
        "for people walking between the east side of the town and the station. The old bridge was "
        "demolished three years ago because it was unsafe, and residents had complained about the "
        "delay in replacing it. The new bridge has lifts at both ends, so that it can be used by "
        "people in wheelchairs and by parents with pushchairs. It cost 3.8 million pounds, shared "
        "between the rail company and the council. About two thousand people are expected to use it "
        "every day.",
        ["A new footbridge with lifts has opened over the railway in Kelsey, three years after the "
         "unsafe old bridge was demolished.",
         "It saves walkers a detour of almost a kilometre and cost 3.8 million pounds."],
    ),
    (
        "The number of young people learning to swim in Northfield has risen sharply since the city "
        "began offering free lessons to all children aged seven to eleven. In the first year, more "
        "than 3,500 children took part, and four out of five could swim twenty-five metres by the end "
        "of the course. Before the scheme, swimming teachers estimated that about a third of children "
        "leaving primary school could not swim. The lessons take place on weekday afternoons and at "
        "weekends at three public pools. The city plans to continue the scheme for at least another "
        "three years.",
        ["Free swimming lessons for children aged seven to eleven in Northfield reached more than 3,500 "
         "children in their first year.",
         "Four out of five could swim twenty-five metres by the end of the course."],
    ),
    (
        "A storm with winds of up to 110 kilometres per hour brought down trees and power lines across "
        "the west of the county overnight. About 15,000 homes lost electricity, and several roads were "
        "blocked by fallen trees. In Port Elmer, part of a roof was blown onto parked cars, but nobody "
        "was injured. Ferries to the islands were cancelled for the whole day. Power companies said "
        "they had restored supplies to most homes by the evening, but some remote farms could remain "
        "without power until the weekend. The weather service has issued a further warning for strong "
        "winds on Thursday.",
        ["A storm with winds up to 110 kilometres per hour cut power to about 15,000 homes in the west "
         "of the county and blocked roads.",
         "Most supplies were restored by the evening, but another wind warning has been issued for "
         "Thursday."],
    ),
    (
        "Staff at the zoo near Linton are celebrating the birth of a baby giraffe, the first to be born "
        "there in twelve years. The female calf was born on Saturday morning after a pregnancy of "
        "about fifteen months and was standing within an hour. Keepers say mother and calf are doing "
        "well. The calf is already almost two metres tall. Visitors will be able to see her in the "
        "giraffe house from next week, and the zoo has invited the public to suggest names. The zoo "
        "takes part in a European breeding programme for giraffes, whose numbers in the wild have "
        "fallen.",
        ["A female giraffe calf has been born at the zoo near Linton, the first there in twelve years.",
         "Mother and calf are well, and the public has been invited to suggest names."],
    ),
    (
        "A group of students at Northfield College has built a small electric car that can travel 300 "
        "kilometres on a single charge of its battery. The two-seater car weighs just 350 kilograms "
        "and has a body made from flax fibres instead of carbon fibre. The students designed and built "
        "it over two years as part of their engineering course, with help from a local garage. They "
        "will race it in an international competition for energy-efficient vehicles next summer. The "
        "team leader said the project had taught them more than any textbook, especially about "
        "working together.",
        ["Students at Northfield College have built a 350-kilogram electric car that can travel 300 "
         "kilometres on one charge.",
         "They will race it in an international efficiency competition next summer."],
    ),
    (
        "The village of Elsby has bought its only pub after it was put up for sale, saving it from "
        "being turned into houses. More than 400 residents bought shares worth between fifty and "
        "several thousand pounds each, raising 480,000 pounds in four months. A committee of "
        "volunteers will run the business, and a manager has been hired to look after the kitchen and "
        "bar. The pub, which dates from the seventeenth century, will also house a small shop and a "
        "cafe. Villagers say the pub is the only place left where people of all ages can meet.",
        ["Residents of Elsby raised 480,000 pounds through shares to buy their village pub and stop it "
         "being turned into houses.",
         "It will be run by a volunteer committee and will also house a shop and a cafe."],
    ),
    (
        "A report by the county's health board says waiting times for routine operations have fallen "
        "for the first time in four years. The average wait for procedures such as hip replacements "
        "and cataract surgery fell from 41 weeks to 33 weeks over the past twelve months. The board "
        "said the improvement was mainly due to a new surgical centre that only carries out planned "
        "operations, so that they are not cancelled when emergency cases arrive. However, waits for "
        "some specialist treatments have grown. The board aims to bring the average wait below "
        "twenty-six weeks by next year. The report shows that patients waiting for skin and "
        "heart treatments now wait longer than a year ago, mainly because of a shortage of "
        "specialist doctors. The board is recruiting abroad and has started sharing specialists "
        "with a neighbouring county. Waiting times in the emergency department have not changed "
        "much: about seven in ten patients are seen within four hours, below the national target "
        "of ninety-five per cent. A patients' group said the fall in waiting times for operations "
        "was welcome but that many people were still waiting in pain for months.",
        ["Average waits for routine operations in the county fell from 41 to 33 weeks, the first fall "
         "in four years.",
         "The health board credits a new centre for planned surgery."],
    ),
    (
        "Fishermen in Greyhaven have landed their biggest catch of mackerel for a decade, but say low "
        "prices mean they will earn less than expected. Boats brought in more than 900 tonnes in the "
        "first week of the season. Buyers at the fish market paid about a third less per kilogram "
        "than last year because large catches elsewhere had filled the market. Some skippers have "
        "decided to stay in harbour for a few days to wait for prices to recover. The fishermen's "
        "association is talking to local restaurants and shops about selling more fish directly to "
        "the public.",
        ["Greyhaven fishermen landed their biggest mackerel catch for a decade, over 900 tonnes in a "
         "week.",
         "Prices were about a third lower than last year, so some boats are staying in harbour."],
    ),
    (
        "Residents of a housing estate in Marbridge have won their campaign to keep a small wood "
        "between their homes and the motorway. A developer had planned to build sixty houses on the "
        "site, but the planning committee rejected the application on Wednesday. Councillors said the "
        "wood reduced noise from the motorway and was home to bats and badgers, and that the new houses "
        "would have added traffic to narrow roads. The developer can appeal against the decision. "
        "Residents now hope to have the wood protected as a local nature reserve.",
        ["Marbridge planners rejected a developer's plan to build sixty houses in a small wood next "
         "to the motorway.",
         "Residents campaigned to keep the wood, which reduces noise and is home to bats and "
         "badgers."],
    ),
    (
        "A theatre company from Port Elmer is touring village halls across the county with a play "
        "performed entirely by actors over the age of seventy. The play, a comedy about two brothers "
        "who inherit a failing seaside hotel, was written by a retired headmaster in the company. "
        "Audiences have filled every performance so far, and extra dates have been added in the "
        "spring. The company's director said older actors rarely got leading roles and that the "
        "project had brought together people who had not acted since school. Tickets cost eight pounds "
        "and all profits go to village hall repairs.",
        ["A Port Elmer theatre company with actors all over seventy is touring village halls with a "
         "comedy about a failing seaside hotel.",
         "Every performance has sold out, and profits go to village hall repairs."],
    ),
    (
        "The county's first electric bus service has started running between Ashford Vale and "
        "Northfield. Ten new buses will replace diesel vehicles on the busy route, which carries about "
        "6,000 passengers a day. Each bus can travel around 300 kilometres before recharging, and they "
        "will be charged overnight at the depot. The bus company says the switch will save about 900 "
        "tonnes of carbon dioxide a year and that passengers will notice quieter and smoother "
        "journeys. Fares will not change. The company hopes to convert all its routes to electric "
        "buses within eight years.",
        ["Ten electric buses have replaced diesel buses on the route between Ashford Vale and "
         "Northfield, the county's first electric service.",
         "The company expects to save about 900 tonnes of carbon dioxide a year."],
    ),
    (
        "Archaeologists digging before the construction of a new school in Kelsey have found the "
        "remains of a Roman farmhouse. The team uncovered stone walls, a tiled floor and more than "
        "2,000 pieces of pottery, as well as coins from the third century. The find shows that the "
        "area was farmed much earlier than historians had thought. The school will still be built, "
        "but the design has been changed so that the best-preserved part of the floor can be covered "
        "and protected under the playground. Some of the objects will be displayed in the school's "
        "entrance hall.",
        ["Archaeologists have found a Roman farmhouse with a tiled floor and third-century coins on "
         "the site of a new school in Kelsey.",
         "The school will still be built, with the best floor section protected under the "
         "playground."],
    ),
    (
        "Nearly half of adults in the region now do some form of voluntary work, according to a "
        "survey by the regional volunteering network. The most common activities were helping at "
        "schools and sports clubs, collecting donations for food banks and visiting older neighbours. "
        "People aged between sixty-five and seventy-four volunteered the most hours. The number of "
        "young volunteers has also risen, which the network links to schemes at colleges that count "
        "volunteering towards qualifications. However, many charities said they still struggled to "
        "find people willing to become trustees or take on regular responsibilities.",
        ["Nearly half of adults in the region do some voluntary work, with people aged sixty-five to "
         "seventy-four giving the most hours.",
         "Charities still struggle to find trustees and volunteers for regular roles."],
    ),
    (
        "Linton's annual cheese fair attracted a record 12,000 visitors over the weekend. More than "
        "sixty producers from across the country sold cheeses made from cow, goat and sheep milk, and "
        "a local dairy won the prize for the best blue cheese for the third year running. Cooking "
        "demonstrations and a competition for the heaviest cheese drew large crowds. Traffic queues "
        "formed on the roads into the town on Saturday morning, and the organisers say they will run "
        "park-and-ride buses next year. Money raised from entry tickets will pay for new equipment for "
        "the town's football club.",
        ["Linton's annual cheese fair drew a record 12,000 visitors, with more than sixty producers "
         "selling cheese.",
         "A local dairy won best blue cheese for the third year running, and park-and-ride buses are "
         "planned for next year."],
    ),
    (
        "A new law requires all restaurants, cafes and takeaways to show the number of calories in "
        "each dish on their menus from April. The rule applies to businesses with more than twenty "
        "employees. Health campaigners say the information will help people make healthier choices "
        "and encourage restaurants to offer smaller portions. Some small restaurant owners say "
        "calculating the calories for menus that change every week will be difficult and expensive. "
        "The government has published free online tools to help businesses work out the figures and "
        "will review the effect of the law after three years. Under the new rules, menus must also "
        "state that adults need around 2,000 calories a day, so that customers can judge the "
        "figures. Children's menus are included. Businesses that do not comply can first be "
        "given a warning and then fined. Similar rules in other countries have had mixed results: "
        "some studies found that customers chose slightly fewer calories, while others found no "
        "change at all. Doctors' organisations say that labels alone will not solve the problem of "
        "unhealthy diets, but that they are one useful step among several.",
        ["From April, restaurants, cafes and takeaways with more than twenty employees must show "
         "calories on their menus.",
         "Health campaigners welcome the rule, but some owners say it will be costly.",
         "The government will review the law after three years."],
    ),
]
